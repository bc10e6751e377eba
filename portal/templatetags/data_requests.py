"""The requests about personal information a bureau holds (portal.data_requests), for the pages of the other apps:
they import no module of portal, which imports them."""

from django import template

from portal.data_requests import open_requests_count

register = template.Library()

# {% open_data_requests user as n %}: one query, asked only where the page shows the count.
register.simple_tag(open_requests_count, name="open_data_requests")
