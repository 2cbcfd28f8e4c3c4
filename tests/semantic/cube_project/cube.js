// Cube configuration (not part of the model; ignored by the import)
module.exports = {};
