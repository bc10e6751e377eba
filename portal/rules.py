"""The help page is public; its contacts are kept by CNIPA (every one) and by each province (its own)."""

import rules

from navportal.rules import is_cnipa, is_provincial_reviewer

rules.add_perm("portal.edit_contacts", is_cnipa | is_provincial_reviewer)
