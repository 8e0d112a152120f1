"""The custodian's duties under PHIPA: the disclosure log, the incident register, and
retention with legal holds and destruction certificates (docs/custodian.md)."""
