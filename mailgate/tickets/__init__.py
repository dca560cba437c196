"""The ticket stages: classify, thread, commands, apply, plan."""
