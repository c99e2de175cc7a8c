import rules

from actors.predicates import is_any_local_admin, is_local_admin_of

rules.add_perm("actors.review_accessrequest", is_any_local_admin)
rules.add_perm("actors.decide_accessrequest", is_local_admin_of)
rules.add_perm("actors.revoke_grant", is_local_admin_of)
