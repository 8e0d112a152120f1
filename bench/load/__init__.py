"""The load test's parts (docs/benchmarks.md, "Load and headroom"): the prod-like environment
(:mod:`load.env`), the seeded practice (:mod:`load.seed`), the HTTP mix (:mod:`load.mix`) and the
stored-exactly-once check (:mod:`load.ledger`). Put ``bench/`` on ``sys.path`` to import them."""
