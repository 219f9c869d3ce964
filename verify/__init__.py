"""The claims checklist: one pytest test per claim of the covered papers, measured against exact references.
``python -m verify`` is the main job."""
