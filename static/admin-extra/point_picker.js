'use strict';
// The point picker (provisions/admin.py, PointAutocompleteSelect) lists only the points of
// the version chosen in the same form or inline row: each search sends that version along.
{
    const $ = django.jQuery;
    let opened = null;

    $(document).on('select2:opening', 'select.point-picker', function() {
        opened = this;
    });

    function chosenVersion(picker) {
        // "provision" -> "version"; "claims-0-provision" -> "claims-0-version".
        const name = picker.name.replace(/[^-]+$/, 'version');
        const field = picker.form && picker.form.elements.namedItem(name);
        return field && field.value ? field.value : '';
    }

    $.ajaxPrefilter(function(options) {
        if (!opened || options.url !== opened.getAttribute('data-ajax--url')) {
            return;
        }
        const version = chosenVersion(opened);
        if (version) {
            options.data = (options.data ? options.data + '&' : '') + 'version=' + encodeURIComponent(version);
        }
    });
}
