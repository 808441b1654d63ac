"""Running a dedicated server in production: the Agones contract (`agones`), Prometheus
metrics (`metrics`), JSON logs (`logs`) and draining on SIGTERM (`drain`), tied to the
server's loop by `operations.Operations`. Headless: nothing here imports pygame.
"""
