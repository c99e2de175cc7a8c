import rules

from actors.predicates import is_in_read_scope, is_in_write_scope, is_local_admin_of

rules.add_perm("sites.view_site", is_in_read_scope)
rules.add_perm("sites.change_site", is_in_write_scope)
rules.add_perm("sites.close_site", is_local_admin_of)
rules.add_perm("sites.see_procedures", is_local_admin_of)
