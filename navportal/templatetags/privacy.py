from django import template

from navportal.privacy import mask_phone

register = template.Library()

register.filter("masked_phone", mask_phone)
