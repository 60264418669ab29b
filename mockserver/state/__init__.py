"""Everything a running mock changes (journal, overrides, rate-limit windows, data versions,
writes), behind the protocols of ``state.base``; ``state.memory.open_state`` picks which one."""
