"""The alert catalogue (``catalogue.py``), its settings and the rule files rendered from them."""
