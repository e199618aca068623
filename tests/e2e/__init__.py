"""End-to-end suite: the real `pulumi up` against a real Docker engine on this machine."""
