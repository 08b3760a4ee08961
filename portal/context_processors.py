from django.utils.functional import SimpleLazyObject

from portal.menu import menu_for


def menu(request):
    """The main menu for the user (portal.menu.MENU), built only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"main_menu": []}
    return {"main_menu": SimpleLazyObject(lambda: menu_for(user, path=request.path))}
