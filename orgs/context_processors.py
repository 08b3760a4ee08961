from orgs.roles import Role, user_roles


def roles(request):
    codes = user_roles(request.user)
    return {"user_roles": codes, "role_labels": [Role(code).label for code in sorted(codes)]}
