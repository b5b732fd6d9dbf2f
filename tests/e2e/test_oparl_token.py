"""The OParl token on /account in a real browser: made, copied, renewed in place."""

from playwright.sync_api import expect

from tests.e2e.test_calendar_subscription import make_member
from tests.e2e.test_shell import sign_in


def test_make_copy_and_renew_the_oparl_token(page, live_app, axe, console_errors):
    member = make_member(live_app)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, member.email)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Konto").click()
    page.get_by_role("button", name="OParl-Token erstellen").click()
    expect(page.locator("#flashes")).to_contain_text("Ihr OParl-Token ist neu")
    token = page.get_by_label("Ihr OParl-Token")
    expect(token).to_have_attribute("readonly", "")
    first = token.input_value()
    assert len(first) > 30
    axe.check(page)

    page.get_by_role("button", name="Token kopieren").click()
    expect(page.locator("#oparl-token-value-copy-status")).to_have_text("Das Token ist kopiert.")
    assert page.evaluate("() => navigator.clipboard.readText()") == first

    page.get_by_role("button", name="Token erneuern").click()
    expect(token).not_to_have_value(first)
    system = page.url.split("/account")[0] + "/oparl/1.1/system"
    fresh = page.context.browser.new_context()
    try:
        old = fresh.request.get(system, headers={"Authorization": f"Bearer {first}"})
        assert old.status == 401
        new = fresh.request.get(system, headers={"Authorization": f"Bearer {token.input_value()}"})
        assert new.status == 200 and new.json()["type"].endswith("/System")
    finally:
        fresh.close()
    axe.check(page)
    assert console_errors == []
