"""`make bench`: a deterministic national dataset, then each production call beside its
plain-SQL equivalent (and tipg's, when installed) in the same run."""
