// Select2 (the admin's autocomplete box) names its combobox after the selected value only: give
// it the field's label as well, so screen readers say "Organization" (axe aria-input-field-name).
// Runs as a jQuery ready handler registered after autocomplete.js's own, so after Select2 exists.
"use strict";
function labelSelect2Boxes() {
    document.querySelectorAll("select.admin-autocomplete").forEach((select) => {
        const label = document.querySelector(`label[for="${select.id}"]`);
        const selection = select.parentElement.querySelector(".select2-selection");
        if (!label || !selection) {
            return;
        }
        label.id = label.id || `${select.id}-label`;
        const rendered = selection.querySelector(".select2-selection__rendered");
        selection.setAttribute("aria-labelledby", [label.id, rendered && rendered.id].filter(Boolean).join(" "));
        if (rendered) {
            rendered.setAttribute("aria-label", label.textContent.replace(/:\s*$/, "").trim());
        }
    });
}
document.addEventListener("DOMContentLoaded", () => {
    if (window.django && window.django.jQuery) {
        window.django.jQuery(labelSelect2Boxes);
    }
});
