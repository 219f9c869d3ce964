"""The checklist: one module per paper or family of claims, each claim declared with `verify.claim.claim`.

pytest collects these modules (``python_files`` in pyproject.toml) and `verify.claim.load` imports them for the
catalog and the mutation table; no other module imports them.
"""
