"""Business time: the business calendar and SLA windows. Pure: no I/O, no clock."""
