/* Drag to reorder a route's stops (the ↑/↓ buttons do the same without a mouse or finger-drag).
   On drop, the new order goes into the hidden #stop-order form, which htmx posts; the answer replaces the
   stops block, and the listener below is on the document so it survives the swap. */
(function () {
  'use strict';
  var dragged = null;

  function list(el) { return el && el.closest ? el.closest('[data-route-stops]') : null; }

  document.addEventListener('dragstart', function (event) {
    var item = event.target.closest && event.target.closest('.route-stop');
    if (!item || !list(item)) { return; }
    dragged = item;
    item.classList.add('is-dragging');
    event.dataTransfer.effectAllowed = 'move';
    event.dataTransfer.setData('text/plain', item.dataset.stopId || '');
  });

  document.addEventListener('dragover', function (event) {
    if (!dragged) { return; }
    var over = event.target.closest && event.target.closest('.route-stop');
    if (!over || over === dragged || list(over) !== list(dragged)) { return; }
    event.preventDefault();
    var box = over.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
  });

  document.addEventListener('dragend', function () {
    if (!dragged) { return; }
    var ol = list(dragged);
    dragged.classList.remove('is-dragging');
    dragged = null;
    if (!ol) { return; }
    var form = document.getElementById(ol.dataset.orderForm);
    if (!form) { return; }
    var ids = Array.prototype.map.call(ol.querySelectorAll('.route-stop'), function (li) { return li.dataset.stopId; });
    var input = form.querySelector('input[name="order"]');
    if (input.value === ids.join(',')) { return; }
    input.value = ids.join(',');
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  });
})();
