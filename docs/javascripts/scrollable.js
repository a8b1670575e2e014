// A table or formula wider than the screen scrolls inside its own box. Such a box
// must be reachable from the keyboard (WCAG 2.1.1), so it takes focus while it
// scrolls, and gives it up when it fits again (on a wider screen).
(() => {
  const selector = ".md-typeset__scrollwrap, .md-typeset math[display='block']";
  const update = () => {
    for (const box of document.querySelectorAll(selector)) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.tabIndex = 0;
      } else {
        box.removeAttribute("tabindex");
      }
    }
  };
  const resized = new ResizeObserver(update);
  const start = () => {
    // Material wraps tables in their scroll boxes as it sets up the page's content:
    // look once that is done, and again whenever the page changes size.
    requestAnimationFrame(update);
    resized.observe(document.body);
  };
  // Material's instant navigation replaces the content without loading a new page;
  // its document$ announces the first page and every page switched to after it.
  if (typeof document$ !== "undefined") {
    document$.subscribe(start);
  } else {
    window.addEventListener("load", start);
  }
})();
