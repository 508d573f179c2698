"""`cogfed-pool`: the live-pool commands (audit, repair, prelink); `cogfed_pool.cli.main`."""
