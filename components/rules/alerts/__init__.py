"""The alert catalogue by area: one module per rule file (``rules/<area>.yml``), each alert with its defaults
and each warning/critical tier declared where its two alerts stand.  ``catalogue.py`` lists the areas."""
