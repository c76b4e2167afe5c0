"""The codes the client's tables use, shared by fill() and add_user()."""

# The client's own codes, as its tables hold them.
GROUP_ADDED, GROUP_LEFT = 0, 1
# group_participants.admin (an assumption: purgekit/message_deletion/plan.py).
GROUP_PARTICIPANT, GROUP_ADMIN, GROUP_SUPER_ADMIN = 0, 1, 2
STATUS_RECEIVED, STATUS_SERVER_ACK, STATUS_DELIVERED, STATUS_READ = 0, 4, 5, 13
MEDIA_NONE, MEDIA_IMAGE = 0, 1
