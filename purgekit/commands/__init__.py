"""One module per `purgekit` command; each exposes register(app)."""
