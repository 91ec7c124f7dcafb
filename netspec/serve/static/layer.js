// placeholder: the layer panel (built next)
"use strict";
