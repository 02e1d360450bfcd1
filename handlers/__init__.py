"""Bolt listeners (thin: ack, call ``bot``, render with ``handlers.blocks``).

The Slack flow lands with the Slack-flow issue; this package holds only its listeners.
"""
