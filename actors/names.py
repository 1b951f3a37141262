"""Names of the service's singleton actors, in a module of their own so that any actor
can look another up without importing its module (and everything that imports)."""
SUPERVISOR_NAME = "raymuc-supervisor"
