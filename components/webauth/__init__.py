"""Basic authentication of Prometheus and Alertmanager (their ``--web.config.file``).

Anyone who reaches Alertmanager's API can silence or delete alerts, and anyone who reaches
Prometheus can read every series and its config: both answer only with the stack's credentials.
"""
