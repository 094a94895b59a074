"""Drives the gateway's /docs page in headless Chromium, as a person would: the page renders the
Blog's and identity's operations, and "Try it out" on POST /v1/auth/register registers an
account through the page. Prints the address it registered; saves a screenshot.

    python docs_page.py <gateway url> <screenshot.png>

Uses Debian's chromium and chromedriver (no browser download).
"""

import json
import sys
import tempfile
import uuid

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait


def browser(profile: str) -> webdriver.Chrome:
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,2400",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def main(base: str, screenshot: str) -> None:
    email = f"docs-{uuid.uuid4().hex[:12]}@example.org"
    with tempfile.TemporaryDirectory() as profile:
        driver = browser(profile)
        try:
            wait = WebDriverWait(driver, 30)
            driver.get(f"{base}/docs")
            # The page lists every module's operations: the Blog's and identity's among them.
            register = wait.until(
                ready.presence_of_element_located((By.ID, "operations-identity-identity_register"))
            )
            wait.until(ready.presence_of_element_located((By.ID, "operations-blog-blog_create_post")))
            register.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
            editor = "#operations-identity-identity_register textarea.body-param__text"

            def try_it_out(driver):
                # The button renders before the page listens to it: press until the editor opens.
                if driver.find_elements(By.CSS_SELECTOR, editor):
                    return driver.find_element(By.CSS_SELECTOR, editor)
                for button in driver.find_elements(
                    By.CSS_SELECTOR, "#operations-identity-identity_register .try-out__btn"
                ):
                    driver.execute_script("arguments[0].click()", button)
                return False

            body = wait.until(try_it_out)
            body.clear()
            body.send_keys(
                json.dumps(
                    {
                        "email": email,
                        "password": "correct horse battery",
                        "display_name": "Through the docs",
                    }
                )
            )
            driver.find_element(By.CSS_SELECTOR, "#operations-identity-identity_register button.execute").click()
            status = wait.until(
                ready.presence_of_element_located(
                    (
                        By.CSS_SELECTOR,
                        "#operations-identity-identity_register .live-responses-table tbody .response-col_status",
                    )
                )
            )
            wait.until(lambda _: status.text.strip() != "")
            driver.save_screenshot(screenshot)
            if status.text.strip() != "201":
                raise SystemExit(f"the page's registration answered {status.text.strip()!r}, not 201")
        except Exception:
            driver.save_screenshot(screenshot)
            raise
        finally:
            driver.quit()
    print(email)


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), sys.argv[2])
