// placeholder: the diagram panel (built next)
"use strict";
