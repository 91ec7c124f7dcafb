// placeholder: the activations panel (built next)
"use strict";
