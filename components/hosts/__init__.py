"""One stack over several Docker hosts: the ``hosts`` settings, what runs where (``placement.py``), the paging
bound after a host loss and the Alertmanager cluster's timing rule (``timing.py``), the hosts' TLS files
(``tls.py``) and the reachability check before a deploy (``reach.py``).  A stack without ``hosts`` never reads
any of it."""
