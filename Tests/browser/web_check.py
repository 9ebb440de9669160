"""The web pages in a real browser: headless Chromium driven by Selenium, as a person would use them.

Run by Tests/CustodyAPITests/WebBrowserTests.swift against a running `custody serve` over the example scenario.
Arguments: BASE_URL ORG OTHER_ORG INCIDENT SCREENSHOT_DIR; the environment gives CUSTODY_BINARY and
CUSTODY_DATABASE_URL (the custody binary creates and revokes tokens and answers what the CLI answers).
Prints one line per check ("ok NAME" or "FAILED NAME: why") and exits 1 if any failed.
"""
import json
import os
import subprocess
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

base, org, other, incident, shots = sys.argv[1:6]
custody = os.environ["CUSTODY_BINARY"]
failures = 0


def check(name, condition, why=""):
    global failures
    if condition:
        print(f"ok {name}")
    else:
        failures += 1
        print(f"FAILED {name}: {why}")


def cli(*arguments):
    result = subprocess.run([custody, *arguments], capture_output=True, text=True, check=True)
    return result.stdout


def api(path, token):
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def browser():
    options = Options()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1000"]:
        options.add_argument(argument)
    options.binary_location = os.environ.get("CUSTODY_TEST_CHROMIUM", "/usr/bin/chromium")
    service = Service(os.environ.get("CUSTODY_TEST_CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(service=service, options=options)


def follow(driver, element):
    """Clicks a link or a form's button, and waits until the page it was on is gone, wherever the answer leads: the
    click may return before the answer has loaded (a check once read the sign-in page's URL after signing in)."""
    element.click()

    def gone(_):
        try:
            element.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            # Chromium 156 says it in its own words when the page is replaced while it looks (a CI run failed on
            # it inside expected_conditions.staleness_of, which knows only the stale-element error).
            if "does not belong to the document" in str(error):
                return True
            raise

    try:
        WebDriverWait(driver, 20).until(gone)
    except TimeoutException:
        pass


def sign_in(driver, token):
    driver.get(base + "/web/sign-in")
    driver.find_element(By.ID, "token").send_keys(token)
    follow(driver, driver.find_element(By.CSS_SELECTOR, "form.sign-in button"))


def shot(driver, name):
    os.makedirs(shots, exist_ok=True)
    driver.save_screenshot(os.path.join(shots, f"{name}.png"))


def rows(driver):
    return [(row.get_attribute("data-deployment"), row.get_attribute("data-incident"), row.get_attribute("data-status"))
            for row in driver.find_elements(By.CSS_SELECTOR, "table#exposures tbody tr[data-deployment]")]


def expected_rows(document):
    return [(row["deployment"], row["incident"], row["status"]) for row in document["exposures"]]


token = cli("token", "create", "--org", org).strip()
driver = browser()
try:
    # Signing in lands on the organization's overview; the cookie holds a session id, never the token.
    sign_in(driver, token)
    check("sign-in lands on the overview", driver.current_url.endswith(f"/web/organizations/{org}"), driver.current_url)
    cookie = driver.get_cookie("custody_session") or {}
    check("the session cookie is HttpOnly and SameSite=Strict, and is not the token",
          cookie.get("httpOnly") is True and cookie.get("sameSite") == "Strict" and token not in cookie.get("value", token),
          str(cookie))
    shot(driver, "overview")
    overview = api(f"/v1/organizations/{org}/exposure", token)
    check("the overview's rows equal the API's", rows(driver) == expected_rows(overview),
          f"{rows(driver)} != {expected_rows(overview)}")
    check("the summary is shown", str(overview["summary"]["activeDeployments"]) in driver.find_element(By.CSS_SELECTOR, "dl.summary").text)

    # A filter by status, without JavaScript: a link.
    follow(driver, driver.find_element(By.LINK_TEXT, "confirmed"))
    check("the status filter keeps only that status", all(status == "confirmed" for _, _, status in rows(driver)),
          str(rows(driver)))

    # The incident's path, drawn: every visible row's vendor/provider/model/deployment is a path in the picture.
    driver.get(base + f"/web/incidents/{incident}")
    shot(driver, "incident")
    report = api(f"/v1/incidents/{incident}", token)
    paths = {f'{row["vendor"]}/{row["provider"]}/{row["model"]}/{row["deployment"]}' for row in report["exposures"]}
    drawn = {element.get_attribute("data-path") for element in driver.find_elements(By.CSS_SELECTOR, "svg.incident-path g.path")}
    check("the incident picture names each path", drawn == paths and len(paths) > 0, f"{drawn} != {paths}")
    text = driver.find_element(By.CSS_SELECTOR, "svg.incident-path").text
    check("the picture's labels name vendor, provider, model and deployment",
          all(part in text for path in paths for part in path.split("/")), text)

    # The postmortem chart: one bar per exposure window, with the window's start and end.
    driver.get(base + f"/web/incidents/{incident}/postmortem")
    shot(driver, "postmortem")
    postmortem = api(f"/v1/incidents/{incident}/postmortem", token)
    windows = sorted((w["deployment"], w["from"], w.get("to") or "open") for w in postmortem["windows"])
    bars = driver.find_elements(By.CSS_SELECTOR, "svg.postmortem-chart g.window")
    drawn = sorted((b.get_attribute("data-deployment"), b.get_attribute("data-from"), b.get_attribute("data-to")) for b in bars)
    check("the postmortem chart has one bar per window with its start and end", drawn == windows and len(windows) > 0,
          f"{drawn} != {windows}")
    widths = [float(b.find_element(By.TAG_NAME, "rect").get_attribute("width")) for b in bars]
    check("every bar has a length", all(width > 0 for width in widths), str(widths))

    # The two clocks, through the form, answer what the CLI's --as-of and --known-at answer.
    recorded = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1))
    for fields, flags in [({"as_of": "2026-03-20"}, ["--as-of", "2026-03-20"]),
                          ({"as_of": "2026-04-02"}, ["--as-of", "2026-04-02"]),
                          ({"as_of": "2026-05-01", "known_at": recorded}, ["--as-of", "2026-05-01", "--known-at", recorded])]:
        driver.get(base + f"/web/organizations/{org}")
        for name, value in fields.items():
            box = driver.find_element(By.NAME, name)
            box.clear()
            box.send_keys(value)
        follow(driver, driver.find_element(By.CSS_SELECTOR, "form.clocks button"))
        answer = json.loads(cli("exposure", "--org", org, "--json", *flags))
        check(f"the clocks {fields} answer as the CLI's {' '.join(flags)}", rows(driver) == expected_rows(answer),
              f"{rows(driver)} != {expected_rows(answer)}")
    shot(driver, "overview-as-of")
    known = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 3600 * 24 * 365))
    driver.get(base + f"/web/organizations/{org}?known_at={known}")
    check("known at a time before the organization was recorded, it is not found",
          "Not Found" in driver.title, driver.title)

    # Fresh: a fact recorded while the page is open makes it say that newer facts exist.
    driver.get(base + f"/web/organizations/{org}")
    cli("vendor", "add", f"fresh-{int(time.time())}", "--name", "A new vendor")
    try:
        WebDriverWait(driver, 20).until(lambda d: d.find_element(By.ID, "fresh").is_displayed())
        check("a page says when newer facts exist", True)
    except TimeoutException:
        check("a page says when newer facts exist", False, "the notice never showed")

    # Another organization's pages are not found, exactly as in the API.
    for path in [f"/web/organizations/{other}", f"/web/deployments/{json.loads(cli('deployments', '--org', other, '--json'))['deployments'][0]['id']}"]:
        driver.get(base + path)
        check(f"{path} is not found for this organization", "Not Found" in driver.title, driver.title)

    # Signing out ends the session.
    driver.get(base + f"/web/organizations/{org}")
    follow(driver, driver.find_element(By.CSS_SELECTOR, "header form button"))
    driver.get(base + f"/web/organizations/{org}")
    check("after signing out the pages ask to sign in", "/web/sign-in" in driver.current_url, driver.current_url)
    shot(driver, "sign-in")

    # Revoking the token ends its sessions.
    second = cli("token", "create", "--org", org).strip()
    sign_in(driver, second)
    check("a second token signs in", driver.current_url.endswith(f"/web/organizations/{org}"), driver.current_url)
    cli("token", "revoke", second.split("_")[1])
    time.sleep(3)
    driver.get(base + f"/web/organizations/{org}")
    check("a revoked token's session ends", "/web/sign-in" in driver.current_url and "ended" in driver.page_source,
          driver.current_url)

    # An admin sees every organization.
    admin = cli("token", "create", "--admin").strip()
    sign_in(driver, admin)
    driver.get(base + f"/web/organizations/{other}")
    check("an admin sees another organization", "Not Found" not in driver.title and other in driver.page_source, driver.title)
    driver.get(base + "/web")
    shot(driver, "admin-index")
    # Answers the test asked for (404s, the 401 of a page left open after signing out) are network entries;
    # anything else severe (a script error, a Content-Security-Policy violation) is a failure.
    console = [entry for entry in driver.get_log("browser") if entry.get("source") != "network"]
    check("no script error or Content-Security-Policy violation in the console",
          not [entry for entry in console if entry.get("level") == "SEVERE"], str(console))
finally:
    driver.quit()
sys.exit(1 if failures else 0)
