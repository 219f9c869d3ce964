"""The checklist, each claim declared with `verify.claim.claim`: a module per paper, named by its key in
`verify.papers` (xie2026, fan2025, cai2024, ziyin2024), or per family of claims that share their set-up across
papers (classics, clients, fast_margin, flavors, fuzz, label_noise, minibatch).

pytest collects these modules (``python_files`` in pyproject.toml) and `verify.claim.load` imports them for the
catalog and the mutation table; no other module imports them.
"""
