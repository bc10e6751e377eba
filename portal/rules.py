"""The help page is public; its contacts are kept by CNIPA (every one) and by each province (its own). An applicant
exports its people's data and asks for corrections; the bureaus answer the requests they hold (portal.data_requests)."""

import rules

from navportal.rules import is_applicant, is_cnipa, is_official, is_provincial_reviewer

rules.add_perm("portal.edit_contacts", is_cnipa | is_provincial_reviewer)
rules.add_perm("portal.request_personal_data", is_applicant)
rules.add_perm("portal.answer_data_requests", is_official)
