"use strict";
// The allowed-scopes picker: "all scopes" switches the groups off, each group has a
// select-all box (indeterminate when partly chosen), and a filter narrows long lists.
(function () {
    function init(picker) {
        const all = picker.querySelector("[data-all-scopes]");
        const filter = picker.querySelector("[data-scope-filter]");
        const count = picker.querySelector("[data-scope-count]");
        const groups = Array.from(picker.querySelectorAll("[data-scope-group]"));
        const options = (group) => Array.from(group.querySelectorAll(".scope-option input"));

        function refresh() {
            let chosen = 0;
            let total = 0;
            for (const group of groups) {
                const boxes = options(group);
                const checked = boxes.filter((box) => box.checked).length;
                const toggle = group.querySelector("[data-select-group]");
                toggle.checked = checked > 0 && checked === boxes.length;
                toggle.indeterminate = checked > 0 && checked < boxes.length;
                // A disabled fieldset submits nothing: "all scopes" alone is sent.
                group.disabled = all.checked;
                toggle.disabled = all.checked;
                chosen += checked;
                total += boxes.length;
            }
            picker.classList.toggle("all-scopes", all.checked);
            // "All scopes" grants every scope, whatever the (disabled) boxes below say.
            const granted = all.checked ? total : chosen;
            count.textContent = count.dataset.template.replace("%(chosen)s", granted).replace("%(total)s", total);
        }

        picker.addEventListener("change", (event) => {
            const toggle = event.target.closest("[data-select-group]");
            if (toggle) {
                const group = toggle.closest("[data-scope-group]");
                for (const box of options(group)) {
                    if (!box.closest(".scope-option").hidden) {
                        box.checked = toggle.checked;
                    }
                }
            }
            refresh();
        });

        filter.addEventListener("input", () => {
            const term = filter.value.trim().toLowerCase();
            for (const group of groups) {
                const groupMatches = group.dataset.scopeGroup.toLowerCase().includes(term);
                let visible = 0;
                for (const label of group.querySelectorAll(".scope-option")) {
                    label.hidden = !(groupMatches || label.textContent.toLowerCase().includes(term));
                    visible += label.hidden ? 0 : 1;
                }
                group.hidden = visible === 0;
            }
        });
        // Enter in the filter must not submit the admin form.
        filter.addEventListener("keydown", (event) => {
            if (event.key === "Enter") {
                event.preventDefault();
            }
        });
        refresh();
    }

    document.addEventListener("DOMContentLoaded", () => {
        document.querySelectorAll("[data-scope-picker]").forEach(init);
    });
})();
