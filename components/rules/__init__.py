"""The alert catalogue (``alerts/<area>.py``, listed in ``catalogue.py``), its settings, the recording rules, the
shared vocabulary of the templates, and the rule files rendered from them."""
