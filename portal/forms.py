from django import forms

from navportal.text import apply_text_rules

from .models import BureauContact


class ContactForm(forms.ModelForm):
    class Meta:
        model = BureauContact
        fields = ["office", "phone", "email", "address"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        apply_text_rules(self)
