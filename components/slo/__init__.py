"""Service level objectives as code: the SLO table, its settings, and the rule file ``slo.yml`` rendered from them
(error ratios over the burn-rate windows, the error budget left, and the multiwindow, multi-burn-rate
``ErrorBudgetBurn`` alerts of the SRE Workbook's chapter "Alerting on SLOs")."""
