"""|crispy_cached renders exactly what |crispy renders, and never serves one form's rendering for another."""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form

from navportal.templatetags.portal_forms import crispy_cached
from review.forms import RecommendForm


def test_the_same_html_as_crispy_and_a_new_one_for_other_initial_values(db):
    first = RecommendForm(prefix="r1", initial={"opinion": "同意推荐。", "score": 90})
    assert str(crispy_cached(first)) == str(as_crispy_form(first))
    assert str(crispy_cached(first)) == str(crispy_cached(RecommendForm(prefix="r1", initial={
        "opinion": "同意推荐。", "score": 90})))  # from the cache
    other = crispy_cached(RecommendForm(prefix="r1", initial={"opinion": "<b>另一意见</b>", "score": 80}))
    assert "另一意见" in other and "&lt;b&gt;" in other and "同意推荐" not in other
    assert 'name="r2-opinion"' in crispy_cached(RecommendForm(prefix="r2", initial={"opinion": "同意推荐。"}))


def test_a_bound_form_shows_its_own_input_and_errors(db):
    crispy_cached(RecommendForm(prefix="r1"))
    bound = RecommendForm({"r1-opinion": "", "r1-score": "101"}, prefix="r1")
    bound.is_valid()
    html = crispy_cached(bound)
    assert 'value="101"' in html and "is-invalid" in html


def test_each_process_keeps_the_most_recently_used_forms_only(db, monkeypatch):
    from navportal.templatetags import portal_forms

    monkeypatch.setattr(portal_forms, "FORMS_KEPT", 3)
    monkeypatch.setattr(portal_forms, "_kept", portal_forms.OrderedDict())
    for n in range(5):
        crispy_cached(RecommendForm(prefix=f"r{n}"))
    assert len(portal_forms._kept) == 3
    assert ['name="r4-opinion"' in html for html in portal_forms._kept.values()] == [False, False, True]
