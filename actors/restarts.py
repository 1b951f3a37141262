"""Whether Ray re-created the current actor after its process died."""
from __future__ import annotations

import warnings


def restarted_by_ray() -> bool:
    """True in an actor Ray restarted (False in its first incarnation and outside Ray)."""
    try:
        import ray
        from ray.util.annotations import RayDeprecationWarning
        if not ray.is_initialized():
            return False
        context = ray.get_runtime_context()
        with warnings.catch_warnings():
            # Ray 2.60's own property reads its deprecated `actor_id` (it would print a
            # RayDeprecationWarning at the top of every actor's stderr); no other public
            # call tells an actor it was restarted.
            warnings.simplefilter("ignore", RayDeprecationWarning)
            return bool(context.was_current_actor_reconstructed)
    except Exception:
        return False
