"""Persistent rooms outlive their last occupant and are stored (muc_persistent /
muc_temporary). The service's access_persistent rule gates who may turn it on."""
from ..errors import Refused
from ..feature import feature, toggle
from ..fields import Kind, RoomField

PERSISTENT = RoomField("persistent", Kind.BOOL, False, "Make room persistent",
                       "muc#roomconfig_persistentroom")


def _validate(room, new, sender_bare):
    # Either way: an owner the rule denies is not shown the field (owner.visible_fields)
    # and can't change it, as in MongooseIM; re-submitting the current value is fine
    # (MongooseIM refuses any form carrying the field, even unchanged).
    if new.persistent != room.config.persistent and \
            not room.policy.allows("access_persistent", sender_bare):
        # §10.1.3: options that violate a service policy get not-acceptable
        raise Refused("not-acceptable", "You are not allowed to change whether this room "
                                        "is persistent")


FEATURE = feature("persistent", PERSISTENT, validate_config=_validate,
                  disco_features=toggle("muc_persistent", "muc_temporary", "persistent"))
