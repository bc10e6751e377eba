from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator


class PlatformClaims(OAuth2Validator):
    """The claims of each user as the platform gives them (settings.PROVIDER_USERS), in the ID token and from the
    userinfo endpoint; the credit code and organisation name come with the `profile` scope, `acr` with `openid`."""

    oidc_claim_scope = {**OAuth2Validator.oidc_claim_scope, "credit_code": "profile", "org_name": "profile",
                        "employee_id": "profile", "acr": "openid", "amr": "openid"}

    def get_additional_claims(self, request):
        return dict(settings.PROVIDER_USERS[request.user.username]["claims"])
