"use strict";
// "Copy" buttons: data-copy names the element whose value (or text) goes to the clipboard.
document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) {
        return;
    }
    event.preventDefault();
    const source = document.getElementById(button.dataset.copy);
    const value = "value" in source ? source.value : source.textContent.trim();
    try {
        await navigator.clipboard.writeText(value);
    } catch (error) {
        // No clipboard API (plain http on another host): select it for Ctrl+C.
        if (source.select) {
            source.select();
        }
        document.execCommand("copy");
    }
    button.textContent = button.dataset.copied;
});
