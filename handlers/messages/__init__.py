"""Every message the bot sends in Slack, by topic: each module holds the wording of its
messages beside the code that builds their text and Block Kit (``slack_sdk.models.blocks``).
:mod:`handlers.render` dispatches each notice and fact to the function that renders it.

Builders are pure: data in, text or Block Kit dicts out (ready for the Web API). Values from
users and the cloud are escaped for mrkdwn (:func:`handlers.messages.text.escape`), so a drill
name cannot ping ``@channel`` or forge a link. Each user-visible sentence is a literal in one
place, beside the message that uses it.
"""
