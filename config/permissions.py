"""DRF glue for the rules in orgs/rules.py: views name a permission, the rule decides."""

from rest_framework.permissions import BasePermission


class HasRulePermission(BasePermission):
    """Check `view.permission_required` (read) / `view.write_permission` (unsafe methods).

    Object-level checks pass the object (or `view.permission_object(obj)`) to the rule.
    """

    def _perm(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return getattr(view, "permission_required", None)
        return getattr(view, "write_permission", None) or getattr(view, "permission_required", None)

    def has_permission(self, request, view):
        perm = self._perm(request, view)
        if perm is None:
            return request.user.is_authenticated
        # a write permission that needs an object is checked again per object
        return request.user.has_perm(perm) or getattr(view, "object_level_write", False)

    def has_object_permission(self, request, view, obj):
        perm = self._perm(request, view)
        if perm is None:
            return True
        target = view.permission_object(obj) if hasattr(view, "permission_object") else obj
        return request.user.has_perm(perm, target)
