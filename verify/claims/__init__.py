"""The checklist, each claim declared with `verify.claim.claim`: a module per paper, named by its key in
`verify.papers`, or per family of claims that share their set-up across papers (clients: third-party optimizers as
users call them; fuzz: generated data; fast_margin: two papers' fast margin maximizers by one protocol; flavors:
Tsilivis et al. and Lyu & Li on one homogeneous network).

pytest collects these modules (``python_files`` in pyproject.toml) and `verify.claim.load` imports them for the
catalog and the mutation table; no other module imports them.
"""
