#!/usr/bin/env python3
"""cdp.py - drive a real headless Chromium like a person would, for the web
tests: open pages, type into the dismiss form, click its button, answer the
browser's basic-auth challenge, take screenshots.

It speaks the Chrome DevTools Protocol over --remote-debugging-pipe (fd 3
for commands, fd 4 for replies, JSON messages ended by NUL), so it needs
nothing beyond Python and Debian's chromium.  The pages have no script of
their own; typing and clicking go through Input.* events, so the browser
builds and sends the form itself (Origin header, CSRF field and all).

usage: cdp.py [--chromium PATH] [--user U --password P] STEP...
steps:
  size WxH[:mobile]     viewport (CSS pixels)
  goto URL              navigate and wait for the load event
  shot FILE             screenshot of the viewport (PNG)
  fullshot FILE         screenshot of the whole page (PNG)
  dom FILE              the DOM as HTML after load
  type CSS TEXT         focus the element and type TEXT
  choose CSS VALUE      set a <select> to VALUE (as a person picking it)
  click CSS             click the element's centre; waits for a navigation
  expect-url TEXT       fail unless the current URL contains TEXT
  expect-text TEXT      fail unless the page's text contains TEXT
Prints one line per step; exits 1 on the first failure.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import base64
import select

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         "--disable-extensions", "--remote-debugging-pipe"]


class Browser:
    def __init__(self, exe, user=None, password=None):
        self.profile = tempfile.mkdtemp(prefix="ackbeat-chromium-")
        self.log = open(os.environ.get("CDP_LOG", os.devnull), "wb")
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()
        # Move the child's ends above 4 first, so that putting them on 3
        # and 4 can never overwrite one with the other.
        to_r = self._high(to_r)
        from_w = self._high(from_w)

        def child_fds():
            os.dup2(to_r, 3)    # dup2 makes them inheritable
            os.dup2(from_w, 4)

        self.proc = subprocess.Popen(
            [exe] + FLAGS + ["--user-data-dir=" + self.profile, "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self.log, preexec_fn=child_fds, close_fds=False)
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.user, self.password = user, password
        self.session = None
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable")
        self.call("Runtime.enable")
        # Answer the 401 challenge as a person typing into the prompt would.
        self.call("Fetch.enable", {"handleAuthRequests": True,
                                   "patterns": [{"urlPattern": "*"}]})

    @staticmethod
    def _high(fd):
        import fcntl
        high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(fd)
        return high

    def close(self):
        try:
            self.call("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    def _send(self, msg):
        data = json.dumps(msg).encode() + b"\0"
        while data:
            n = os.write(self.to_w, data)
            data = data[n:]

    def _recv(self, deadline):
        while b"\0" not in self.buf:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from chromium")
            r, _, _ = select.select([self.from_r], [], [], 0.2)
            if r:
                chunk = os.read(self.from_r, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium went away")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def _handle_event(self, m):
        method = m.get("method")
        p = m.get("params", {})
        if method == "Fetch.requestPaused":
            self._send({"id": self._id(), "sessionId": self.session,
                        "method": "Fetch.continueRequest",
                        "params": {"requestId": p["requestId"]}})
        elif method == "Fetch.authRequired":
            answer = {"response": "ProvideCredentials", "username": self.user or "",
                      "password": self.password or ""} if self.user else {"response": "CancelAuth"}
            self._send({"id": self._id(), "sessionId": self.session,
                        "method": "Fetch.continueWithAuth",
                        "params": {"requestId": p["requestId"],
                                   "authChallengeResponse": answer}})
        else:
            self.events.append(m)

    def _id(self):
        self.next_id += 1
        return self.next_id

    def call(self, method, params=None, session=True, timeout=20):
        i = self._id()
        msg = {"id": i, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        self._send(msg)
        deadline = time.monotonic() + timeout
        while True:
            m = self._recv(deadline)
            if m.get("id") == i:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"].get("message")))
                return m.get("result", {})
            if "method" in m:
                self._handle_event(m)

    def wait_event(self, name, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            for k, m in enumerate(self.events):
                if m.get("method") == name:
                    del self.events[: k + 1]
                    return m
            m = self._recv(deadline)
            if "method" in m:
                self._handle_event(m)

    def eval(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True})
        if "exceptionDetails" in r:
            raise RuntimeError("evaluate failed: %s" % expr)
        return r["result"].get("value")

    def goto(self, url):
        self.events.clear()
        r = self.call("Page.navigate", {"url": url})
        if r.get("errorText"):
            raise RuntimeError("navigate %s: %s" % (url, r["errorText"]))
        self.wait_event("Page.loadEventFired")

    def screenshot(self, path, full):
        params = {"format": "png"}
        if full:
            m = self.call("Page.getLayoutMetrics")
            size = m.get("cssContentSize") or m["contentSize"]
            params["captureBeyondViewport"] = True
            params["clip"] = {"x": 0, "y": 0, "width": size["width"],
                              "height": size["height"], "scale": 1}
        data = self.call("Page.captureScreenshot", params)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def centre(self, css):
        js = ("(function(){var e=document.querySelector(%s);if(!e)return null;"
              "e.scrollIntoView({block:'center'});var r=e.getBoundingClientRect();"
              "return [r.left+r.width/2,r.top+r.height/2];})()") % json.dumps(css)
        xy = self.eval(js)
        if not xy:
            raise RuntimeError("no element matches %s" % css)
        return xy

    def click(self, css):
        x, y = self.centre(css)
        self.events.clear()
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                   "button": "left", "clickCount": 1})
        self.wait_event("Page.loadEventFired")

    def type(self, css, text):
        self.click_focus(css)
        self.call("Input.insertText", {"text": text})

    def click_focus(self, css):
        x, y = self.centre(css)
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y,
                                                   "button": "left", "clickCount": 1})

    def choose(self, css, value):
        # A <select> popup is not drawable headless; set it the way the
        # keyboard would and fire the same events.
        ok = self.eval("(function(){var e=document.querySelector(%s);if(!e)return false;"
                       "e.focus();e.value=%s;e.dispatchEvent(new Event('input',{bubbles:true}));"
                       "e.dispatchEvent(new Event('change',{bubbles:true}));"
                       "return e.value===%s;})()"
                       % (json.dumps(css), json.dumps(value), json.dumps(value)))
        if not ok:
            raise RuntimeError("cannot choose %s in %s" % (value, css))


def main(argv):
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    user = password = None
    steps = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--chromium", "--user", "--password"):
            if a == "--chromium":
                exe = argv[i + 1]
            elif a == "--user":
                user = argv[i + 1]
            else:
                password = argv[i + 1]
            i += 2
            continue
        steps.append(a)
        i += 1
    arity = {"size": 1, "goto": 1, "shot": 1, "fullshot": 1, "dom": 1, "type": 2,
             "choose": 2, "click": 1, "expect-url": 1, "expect-text": 1}
    b = Browser(exe, user, password)
    rc = 0
    try:
        i = 0
        while i < len(steps):
            op = steps[i]
            if op not in arity:
                raise RuntimeError("unknown step %s" % op)
            args = steps[i + 1: i + 1 + arity[op]]
            i += 1 + arity[op]
            if op == "size":
                wh, _, mobile = args[0].partition(":")
                w, h = (int(x) for x in wh.split("x"))
                b.call("Emulation.setDeviceMetricsOverride",
                       {"width": w, "height": h, "deviceScaleFactor": 1,
                        "mobile": mobile == "mobile"})
            elif op == "goto":
                b.goto(args[0])
            elif op in ("shot", "fullshot"):
                b.screenshot(args[0], op == "fullshot")
            elif op == "dom":
                with open(args[0], "w") as f:
                    f.write(b.eval("document.documentElement.outerHTML"))
            elif op == "type":
                b.type(args[0], args[1])
            elif op == "choose":
                b.choose(args[0], args[1])
            elif op == "click":
                b.click(args[0])
            elif op == "expect-url":
                url = b.eval("location.href")
                if args[0] not in url:
                    raise RuntimeError("URL is %s, expected it to contain %s" % (url, args[0]))
            elif op == "expect-text":
                text = b.eval("document.body.innerText")
                if args[0] not in text:
                    raise RuntimeError("page text lacks %r" % args[0])
            print("ok %s %s" % (op, " ".join(args)), flush=True)
    except Exception as e:  # one line the test can show
        print("FAILED %s: %s" % (op if steps else "-", e), flush=True)
        rc = 1
    finally:
        b.close()
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
