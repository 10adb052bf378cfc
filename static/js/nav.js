// The main menu on a phone: loaded in <head> so the page never flashes the open menu.
// It marks the page as scripted (CSS then folds the menu behind its button) and wires
// the button. Without JavaScript the whole menu stays visible.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  document.addEventListener("DOMContentLoaded", function () {
    // The page's own link in the menu: the longest link the address starts with.
    var here = window.location.pathname, best = null;
    document.querySelectorAll(".mainnav a").forEach(function (link) {
      var path = link.getAttribute("href");
      var match = path === "/" ? here === "/" : here.indexOf(path) === 0;
      if (match && (!best || path.length > best.getAttribute("href").length)) best = link;
    });
    if (best && !document.querySelector('.mainnav a[aria-current="page"]')) {
      best.setAttribute("aria-current", "page");
    }
    var button = document.querySelector(".menu-toggle");
    var menu = button && document.getElementById(button.getAttribute("aria-controls"));
    if (!menu) return;
    var header = button.closest(".topbar");
    var set = function (open) {
      header.classList.toggle("menu-open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    };
    button.addEventListener("click", function () {
      set(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && header.classList.contains("menu-open")) {
        set(false);
        button.focus();
      }
    });
  });
})();
