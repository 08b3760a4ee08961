from django.utils.functional import SimpleLazyObject


def failed_run(request):
    """For admins: the nightly run that failed (the banner on every page), read only when shown."""

    def find():
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.has_perm("scoring.run"):
            return None
        from scoring.selectors import latest_failed_run

        return latest_failed_run()

    return {"scoring_failed_run": SimpleLazyObject(find)}
