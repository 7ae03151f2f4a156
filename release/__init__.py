"""Grey (canary) release engine: spec, analysis, controller, traffic providers."""
